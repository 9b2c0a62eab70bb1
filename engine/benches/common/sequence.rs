//! The IOVA workload's operation sequence, shared by `benches/iova.rs` and
//! `examples/wasm_bench.rs` (both `#[path]` this file) so native and wasm32 time the same
//! mix. No criterion here: the example builds for wasm32.

/// `ops` pairs `(slot, pages)` from a fixed LCG (slot below `live`, 1–32 pages), the same
/// for every allocator.
pub fn sequence(live: usize, ops: usize) -> Vec<(usize, u64)> {
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    (0..ops)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (((x >> 33) as usize) % live, ((x >> 17) % 32) + 1)
        })
        .collect()
}
