//! Hosts a `charming::Chart` in a `<div>`: initialises ECharts once the element is in the
//! page, updates it when the chart changes, resizes with the window, and disposes of it.

use std::sync::atomic::{AtomicU32, Ordering};

use charming::{Chart, Echarts, WasmRenderer};
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
}

fn instance(echarts: &Echarts) -> &EchartsInstance {
    echarts.unchecked_ref()
}

static NEXT_CHART_ID: AtomicU32 = AtomicU32::new(1);

#[component]
pub fn EChart(
    /// The chart to draw; redrawn when the signal changes.
    #[prop(into)]
    chart: Signal<Chart>,
    /// Height in pixels; the width follows the container.
    height: u32,
    /// Used by tests and for accessibility.
    #[prop(into)]
    label: String,
) -> impl IntoView {
    let id = format!("chart-{}", NEXT_CHART_ID.fetch_add(1, Ordering::Relaxed));
    let handle: StoredValue<Option<Echarts>, LocalStorage> = StoredValue::new_local(None);
    let element_id = id.clone();
    Effect::new(move |_| {
        let chart = chart.get();
        let existing = handle.with_value(|h| h.is_some());
        if existing {
            handle.with_value(|h| WasmRenderer::update(h.as_ref().expect("checked"), &chart));
        } else {
            match WasmRenderer::new_opt(None, Some(height)).render(&element_id, &chart) {
                Ok(echarts) => handle.set_value(Some(echarts)),
                Err(err) => leptos::logging::warn!("chart {element_id} could not render: {err:?}"),
            }
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
        <div id=id class="chart" role="img" aria-label=label style=format!("height:{height}px")></div>
    }
}
