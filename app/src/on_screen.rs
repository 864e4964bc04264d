//! Whether a panel is on screen, from the browser's IntersectionObserver: panels scrolled away or behind
//! another tab follow the world at a slower pace ([`Sim::gated`](crate::sim::Sim::gated)), which is most
//! of a tick's rendering saved.

use crate::sim::Sim;
use leptos::context::Provider;
use leptos::prelude::*;
use wasm_bindgen::prelude::*;

/// How far outside the window a panel still counts as on screen, so that scrolling reveals it up to date.
const MARGIN: &str = "200px";

/// Whether the panel whose title has the id `title_id` (its section is the title's parent) intersects the
/// window, give or take [`MARGIN`]. True until the observer first reports, so nothing starts stale.
pub fn on_screen(title_id: &'static str) -> ReadSignal<bool> {
    let (visible, set_visible) = signal(true);
    // After the panel is in the document.
    request_animation_frame(move || {
        let Some(section) = document().get_element_by_id(title_id).and_then(|t| t.parent_element()) else { return };
        let report = Closure::<dyn FnMut(js_sys::Array)>::new(move |entries: js_sys::Array| {
            // The last entry is the newest state of the one element observed.
            if let Some(entry) = entries.iter().last() {
                let entry: web_sys::IntersectionObserverEntry = entry.unchecked_into();
                set_visible.set(entry.is_intersecting());
            }
        });
        let init = web_sys::IntersectionObserverInit::new();
        init.set_root_margin(MARGIN);
        if let Ok(observer) = web_sys::IntersectionObserver::new_with_options(report.as_ref().unchecked_ref(), &init) {
            observer.observe(&section);
        }
        // The panels live as long as the page.
        report.forget();
    });
    visible
}

/// A panel of the grid: its content reads a [`Sim`] gated by whether the panel is on screen.
#[component]
pub fn OnScreen(title_id: &'static str, children: Children) -> impl IntoView {
    let gated = expect_context::<Sim>().gated(on_screen(title_id));
    // An owner of its own: a component shares its parent's, and the gated handle must reach this panel
    // only, not the ring and the panels rendered after it.
    view! { <Provider value=gated>{children()}</Provider> }
}
