//! The Panels drawer, for phones. At 600 px wide or less (the responsive block of `style.css`) the page
//! keeps the cluster ring, the network bar and the console on screen and hides every other panel; this
//! drawer lists them, and choosing one shows it.
//!
//! Which panel is shown is the address's fragment (`#events-title`): the stylesheet shows a panel whose
//! title is the `:target`, so the Back button returns to the previous panel, a phone user can share it, and
//! no component has to know about the drawer. The list is read from the page when the drawer opens: every
//! `section` titled by an `h2.panel-title` with an id (the house convention for panels), so a new panel is
//! listed without an edit here.

use leptos::ev;
use leptos::html::Button;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// The id that ties the toggle to the list it opens (`aria-controls`).
const LIST_ID: &str = "drawer-panels";

/// A panel the drawer can show: its title's element id (the fragment that shows it) and the title's text.
#[derive(Clone, Debug, PartialEq, Eq)]
struct PanelLink {
    id: String,
    title: String,
}

/// The fragment of the address without its `#`, i.e. the id of the panel title shown on a phone.
fn current_fragment() -> String {
    let hash = web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default();
    hash.trim_start_matches('#').to_string()
}

/// Every titled panel on the page, in page order. Read only when the drawer opens: the panels are fixed
/// while it is open, and this keeps the drawer free of any per-tick work.
fn panels_on_page() -> Vec<PanelLink> {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return Vec::new() };
    let titles = document.get_elements_by_class_name("panel-title");
    (0..titles.length())
        .filter_map(|i| titles.item(i))
        .filter(|t| t.tag_name() == "H2" && !t.id().is_empty())
        .filter(|t| t.parent_element().is_some_and(|p| p.tag_name() == "SECTION"))
        .map(|t| PanelLink { id: t.id(), title: t.text_content().unwrap_or_default().trim().to_string() })
        .filter(|p| !p.title.is_empty())
        .collect()
}

/// Shows the panel titled by element `id` (an empty id: no panel, just the ring and the console) by
/// setting the fragment, then moves the keyboard focus there, so that a keyboard or screen-reader user
/// continues in the panel they chose rather than at the top of the page.
fn show_panel(id: &str) {
    let Some(window) = web_sys::window() else { return };
    let _ = window.location().set_hash(id);
    let title =
        window.document().and_then(|d| d.get_element_by_id(id)).and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
    if let Some(title) = title {
        // A heading is not focusable by default; -1 lets a script focus it without adding a Tab stop.
        let _ = title.set_attribute("tabindex", "-1");
        let _ = title.focus();
    }
}

/// Shows the panel an address names (`…/#events-title`, typed or shared) once the page is built. The
/// browser looked for that element when the document loaded, before the WebAssembly page existed, so
/// nothing is the `:target` yet; navigating to the same address again (a same-document fragment
/// navigation, with no reload and no new history entry) makes it so.
fn show_linked_panel() {
    let Some(window) = web_sys::window() else { return };
    let location = window.location();
    if current_fragment().is_empty() {
        return;
    }
    if let Ok(href) = location.href() {
        let _ = location.replace(&href);
    }
}

/// Whether the address's fragment names a panel of the grid (its title is the `:target`), for the wide
/// layout's class on `.layout`. The stylesheet asked `.layout:has(.panel-grid .panel-title:target)`
/// before; with a `:has()` over the whole layout, Chrome restyled the layout for every node a tick added
/// or removed anywhere in it (message dots, log lines), about 200 times a second.
pub fn grid_panel_chosen() -> ReadSignal<bool> {
    let (chosen, set) = signal(false);
    let update = move || {
        let id = current_fragment();
        let document = web_sys::window().and_then(|w| w.document());
        let title = document.and_then(|d| d.get_element_by_id(&id)).filter(|_| !id.is_empty());
        set.set(title.is_some_and(|t| t.matches(".panel-grid .panel-title").unwrap_or(false)));
    };
    // Once the panels are in the document, then whenever the fragment changes.
    request_animation_frame(update);
    let _ = window_event_listener(ev::hashchange, move |_| update());
    chosen
}

/// The wide screen's panel tabs, above the ring and the console: "All panels" (the grid under them) or
/// one panel, which then takes the column beside the console, so the ring, the console and the panel in
/// use are on screen together (the stylesheet does the layout from the `:target`, as on a phone). The
/// tabs are the page's titled panels, read once the page is built.
#[component]
pub fn PanelTabs() -> impl IntoView {
    let panels = RwSignal::new(Vec::<PanelLink>::new());
    let shown = RwSignal::new(current_fragment());
    request_animation_frame(move || {
        panels.set(panels_on_page().into_iter().filter(|p| p.id != "lessons-title").collect())
    });
    let _ = window_event_listener(ev::hashchange, move |_| shown.set(current_fragment()));
    let choose = move |e: ev::MouseEvent, id: String| {
        e.prevent_default();
        show_panel(&id);
    };
    view! {
        <nav class="panel-tabs" aria-label="Panel tabs">
            <a
                href="#"
                aria-current=move || shown.get().is_empty().then_some("page")
                on:click=move |e| choose(e, String::new())
            >
                "All panels"
            </a>
            <For
                each=move || panels.get()
                key=|p| p.id.clone()
                children=move |p| {
                    let (id, current) = (p.id.clone(), p.id.clone());
                    view! {
                        <a
                            href=format!("#{}", p.id)
                            aria-current=move || shown.with(|s| *s == current).then_some("page")
                            on:click=move |e| choose(e, id.clone())
                        >
                            {p.title}
                        </a>
                    }
                }
            />
        </nav>
    }
}

/// The "Panels" button and the list it opens. Escape closes the list and returns to the button.
#[component]
pub fn PanelsDrawer() -> impl IntoView {
    let open = RwSignal::new(false);
    let panels = RwSignal::new(Vec::<PanelLink>::new());
    let shown = RwSignal::new(current_fragment());
    let toggle_ref = NodeRef::<Button>::new();
    // After this render pass, when every panel is in the document.
    request_animation_frame(show_linked_panel);
    let _ = window_event_listener(ev::hashchange, move |_| shown.set(current_fragment()));
    let _ = window_event_listener(ev::keydown, move |e| {
        if e.key() == "Escape" && open.get_untracked() {
            e.prevent_default();
            open.set(false);
            if let Some(button) = toggle_ref.get_untracked() {
                let _ = button.focus();
            }
        }
    });
    let toggle = move |_| {
        if !open.get_untracked() {
            panels.set(panels_on_page());
        }
        open.update(|o| *o = !*o);
    };
    let choose = move |e: ev::MouseEvent, id: String| {
        e.prevent_default();
        open.set(false);
        show_panel(&id);
        if id.is_empty() {
            if let Some(button) = toggle_ref.get_untracked() {
                let _ = button.focus();
            }
        }
    };
    view! {
        <div class="drawer">
            <button
                class="drawer-toggle"
                node_ref=toggle_ref
                aria-expanded=move || open.get().to_string()
                aria-controls=LIST_ID
                on:click=toggle
            >
                "Panels"
            </button>
            <nav id=LIST_ID class="drawer-list" aria-label="Panels" hidden=move || !open.get()>
                <ul>
                    <li>
                        <a
                            href="#"
                            aria-current=move || shown.get().is_empty().then_some("location")
                            on:click=move |e| choose(e, String::new())
                        >
                            "Ring and console only"
                        </a>
                    </li>
                    <For
                        each=move || panels.get()
                        key=|p| p.id.clone()
                        children=move |p| {
                            let href = format!("#{}", p.id);
                            let id = p.id.clone();
                            let current = p.id.clone();
                            view! {
                                <li>
                                    <a
                                        href=href
                                        aria-current=move || shown.with(|s| *s == current).then_some("location")
                                        on:click=move |e| choose(e, id.clone())
                                    >
                                        {p.title}
                                    </a>
                                </li>
                            }
                        }
                    />
                </ul>
            </nav>
        </div>
    }
}
