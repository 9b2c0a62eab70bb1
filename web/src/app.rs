//! The root component.
use yew::prelude::*;

#[function_component(App)]
pub fn app() -> Html {
    html! {
        <main class="playground">
            <header class="toolbar"><h1>{ "IOMMU Playground" }</h1></header>
            <p class="engine-version">{ format!("engine errno model: {} = {}", iommu_engine::Errno::EBUSY, iommu_engine::Errno::EBUSY.code()) }</p>
        </main>
    }
}
