//! Tables whose rows are members and whose cells change every tick (timers, indexes): each row is created
//! once per member and then only its cells' text is rewritten, so a tick costs the browser a few text nodes
//! instead of a rebuilt table (new elements to style, lay out and paint, every 50 ms).

use leptos::prelude::*;

/// A cell's text, read from its row.
pub type Cell<R> = fn(&R) -> String;

/// The body rows of a table: one per distinct `key` (its row header, `<th scope="row">`), then one `<td>`
/// per cell, in order.
pub fn member_rows<R>(rows: Memo<Vec<R>>, key: Cell<R>, cells: &'static [Cell<R>]) -> impl IntoView
where
    R: Clone + PartialEq + Send + Sync + 'static,
{
    let keys = Memo::new(move |_| rows.with(|rows| rows.iter().map(key).collect::<Vec<_>>()));
    view! {
        <For
            each=move || keys.get()
            key=|k| k.clone()
            children=move |k| {
                let mine = k.clone();
                let row = Memo::new(move |_| rows.with(|rows| rows.iter().find(|r| key(r) == mine).cloned()));
                let tds = cells
                    .iter()
                    .map(|cell| view! { <td>{move || row.with(|r| r.as_ref().map(cell).unwrap_or_default())}</td> })
                    .collect_view();
                view! { <tr><th scope="row">{k}</th>{tds}</tr> }
            }
        />
    }
}
