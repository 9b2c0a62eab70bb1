#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| iommu_engine::fuzzing::import(data));
