//! Hosts a `charming::Chart` in a `<div>`: initialises ECharts once the element is in the
//! page, updates it when the chart changes, reports clicks on marks as (series index,
//! data index), resizes with the window, and disposes of it on cleanup.

use std::sync::atomic::{AtomicU32, Ordering};

use charming::{Chart, Echarts, WasmRenderer};
use js_sys::Reflect;
use leptos::prelude::*;
use wasm_bindgen::prelude::*;

// charming binds init/setOption/resize(size); these are the instance methods it lacks.
#[wasm_bindgen]
extern "C" {
    type EchartsInstance;
    #[wasm_bindgen(method, js_name = resize)]
    fn resize_to_container(this: &EchartsInstance);
    #[wasm_bindgen(method)]
    fn dispose(this: &EchartsInstance);
    #[wasm_bindgen(method)]
    fn on(this: &EchartsInstance, event: &str, handler: &js_sys::Function);
    /// `setOption(option, notMerge)`: with `true` the new option replaces the old one.
    #[wasm_bindgen(method, js_name = setOption)]
    fn set_option(this: &EchartsInstance, option: JsValue, not_merge: bool);
}

fn instance(echarts: &Echarts) -> &EchartsInstance {
    echarts.unchecked_ref()
}

static NEXT_CHART_ID: AtomicU32 = AtomicU32::new(1);

/// The (series index, data index) of a clicked mark.
pub type MarkClick = (usize, usize);

fn index_of(params: &JsValue, key: &str) -> Option<usize> {
    Reflect::get(params, &JsValue::from_str(key)).ok()?.as_f64().filter(|x| *x >= 0.0).map(|x| x as usize)
}

/// The JS callback ECharts calls on a click (kept alive as long as the chart).
type ClickClosure = Closure<dyn FnMut(JsValue)>;

#[component]
pub fn EChart(
    /// The chart to draw; redrawn when the signal changes.
    #[prop(into)]
    chart: Signal<Chart, LocalStorage>,
    /// Height in pixels; the width follows the container.
    height: u32,
    /// Accessible name, also used by tests.
    #[prop(into)]
    label: String,
    /// Called when a mark is clicked.
    #[prop(optional)]
    on_click: Option<Callback<MarkClick>>,
) -> impl IntoView {
    let id = format!("chart-{}", NEXT_CHART_ID.fetch_add(1, Ordering::Relaxed));
    let handle: StoredValue<Option<Echarts>, LocalStorage> = StoredValue::new_local(None);
    let click_handler: StoredValue<Option<ClickClosure>, LocalStorage> = StoredValue::new_local(None);
    let element_id = id.clone();
    Effect::new(move |_| {
        let chart = chart.get();
        if handle.with_value(|h| h.is_some()) {
            handle.with_value(|h| {
                let h = h.as_ref().expect("checked");
                // Replace the whole option so series from earlier data do not linger.
                match serde_wasm_bindgen::to_value(&chart) {
                    Ok(option) => instance(h).set_option(option, true),
                    Err(err) => leptos::logging::warn!("chart {element_id} could not update: {err}"),
                }
            });
            return;
        }
        match WasmRenderer::new_opt(None, Some(height)).render(&element_id, &chart) {
            Ok(echarts) => {
                if let Some(callback) = on_click {
                    let closure = Closure::<dyn FnMut(JsValue)>::new(move |params: JsValue| {
                        if let (Some(s), Some(d)) = (index_of(&params, "seriesIndex"), index_of(&params, "dataIndex")) {
                            callback.run((s, d));
                        }
                    });
                    instance(&echarts).on("click", closure.as_ref().unchecked_ref());
                    click_handler.set_value(Some(closure));
                }
                handle.set_value(Some(echarts));
            }
            Err(err) => leptos::logging::warn!("chart {element_id} could not render: {err:?}"),
        }
    });
    let on_resize = window_event_listener(leptos::ev::resize, move |_| {
        handle.with_value(|h| {
            if let Some(h) = h {
                instance(h).resize_to_container();
            }
        });
    });
    on_cleanup(move || {
        on_resize.remove();
        handle.with_value(|h| {
            if let Some(h) = h {
                instance(h).dispose();
            }
        });
    });
    view! {
        <div id=id class="chart" class:clickable=on_click.is_some() role="img" aria-label=label style=format!("height:{height}px")></div>
    }
}
