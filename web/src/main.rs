fn main() {
    let root = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("playground"));
    if let Some(root) = root {
        iommu_web::mount(root);
    }
}
