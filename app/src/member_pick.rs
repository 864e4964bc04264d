//! The choice of member that panels reading one member's state offer (the Raft panel, the Keyspace
//! panel): "the leader", which follows leadership through elections, or one member by name.

use crate::sim::Sim;
use leptos::prelude::*;

/// The choice's value for "whichever member leads now".
pub const FOLLOW_LEADER: &str = "leader";

/// The `<option>`s of a member `<select>`: the leader first, then every member, with `choice` selected.
#[component]
pub fn MemberOptions(choice: RwSignal<String>) -> impl IntoView {
    let sim = expect_context::<Sim>();
    let names = Memo::new(move |_| sim.snapshot.with(|s| s.nodes.iter().map(|n| n.name.clone()).collect::<Vec<_>>()));
    view! {
        <option value=FOLLOW_LEADER prop:selected=move || choice.get() == FOLLOW_LEADER>
            "the leader"
        </option>
        <For
            each=move || names.get()
            key=|n| n.clone()
            children=move |n| {
                let value = n.clone();
                let attr = n.clone();
                view! {
                    <option value=attr prop:selected=move || choice.get() == value>
                        {n}
                    </option>
                }
            }
        />
    }
}
