//! The second wasm module: the page's Web Worker ([`iommu_web::worker`]). It runs the
//! scenarios with large workloads and "Import your machine"'s import, so the page's bundle
//! links neither the run's encoder nor the import. Trunk builds it beside the page
//! (web/index.html, `data-type="worker"`) as `iommu-worker.js` and `iommu-worker_bg.wasm`;
//! the page loads it only when a job asks for it.
//!
//! It exports nothing: its `main` listens for the page's messages.

fn main() {
    iommu_web::worker::serve();
}
