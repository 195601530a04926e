//! The header's role picker: the roles of `app::roles`, kept in the URL as `role=`; the
//! navigation, the overview and the offered chips follow it.

use leptos::prelude::*;

use super::state::AppData;
use crate::app::roles::roles;

#[component]
pub fn RoleSelect() -> impl IntoView {
    let app = expect_context::<AppData>();
    let is = move |key: &str| app.view.with(|v| v.role.as_deref() == Some(key));
    view! {
        <label class="role-select">
            "View as"
            <select
                data-testid="role-select"
                on:change=move |ev| {
                    let role = event_target_value(&ev);
                    app.update_view(|v| v.role = Some(role).filter(|r| !r.is_empty()));
                }
            >
                <option value="" selected=move || app.view.with(|v| v.role.is_none())>"Everyone"</option>
                {roles()
                    .roles
                    .iter()
                    .map(|r| {
                        let key = r.key.clone();
                        let k = key.clone();
                        view! { <option value=key title=r.description.clone() selected=move || is(&k)>{r.title.clone()}</option> }
                    })
                    .collect_view()}
            </select>
        </label>
    }
}
