// Mounts IOMMU Playground widgets on a documentation page: one read-only widget per
// <div data-iommu-scenario="..."> (a preset's file name, or scenario text).
//
//   <script type="module" src="PLAYGROUND/embed.js"></script>
//
// The playground's bundle has content-hashed file names that change with every build, so
// this loader reads them from the playground's own index.html (the files Trunk emitted
// beside it), then starts the same wasm module the playground runs: its main() mounts a
// widget on every [data-iommu-scenario] element of this page. The widgets bring their own
// stylesheet, widget.scoped.css, every rule scoped to .iommu-widget: the playground's
// style.css (which styles html and body) is not loaded, so this page keeps its fonts, margins and colours. Set
// data-playground on the script tag to load from another directory (default: this
// script's own directory).
const me = document.currentScript || document.querySelector('script[src$="embed.js"]');
const base = new URL((me && me.dataset.playground) || './', (me && me.src) || import.meta.url);

async function start() {
  const html = await (await fetch(new URL('index.html', base))).text();
  const doc = new DOMParser().parseFromString(html, 'text/html');
  const at = (sel, attr) => {
    const el = doc.querySelector(sel);
    return el && new URL(el.getAttribute(attr), base).href;
  };
  let js = at('link[rel="modulepreload"]', 'href');
  let wasm = at('link[rel="preload"][type="application/wasm"]', 'href');
  if (!js || !wasm) {
    // Older Trunk: only the inline module script names the files.
    const code = [...doc.querySelectorAll('script[type="module"]')].map((s) => s.textContent).join('\n');
    js = js || new URL(/from\s+['"]([^'"]+\.js)['"]/.exec(code)[1], base).href;
    wasm = wasm || new URL(/['"]([^'"]+_bg\.wasm)['"]/.exec(code)[1], base).href;
  }
  // "open in playground" goes to this playground unless a widget names another.
  for (const el of document.querySelectorAll('[data-iommu-scenario]:not([data-iommu-playground])')) {
    el.dataset.iommuPlayground = new URL('index.html', base).href;
  }
  // The widgets' stylesheet (every rule under .iommu-widget), loaded beside the bundle and
  // before the widgets mount, so they never show unstyled.
  const style = new Promise((resolve) => {
    if (document.getElementById('iommu-widget-style')) return resolve();
    const link = document.createElement('link');
    link.id = 'iommu-widget-style';
    link.rel = 'stylesheet';
    link.href = new URL('widget.scoped.css', base).href;
    link.onload = link.onerror = () => resolve();
    document.head.appendChild(link);
  });
  const [bindings] = await Promise.all([import(js), style]);
  await bindings.default({ module_or_path: wasm });
  window.iommuPlayground = bindings;
}

start().catch((e) => {
  for (const el of document.querySelectorAll('[data-iommu-scenario]:not([data-iommu-mounted])')) {
    el.textContent = 'The IOMMU Playground could not be loaded: ' + e;
  }
});
