fn main() {
    iommu_web::start();
}
