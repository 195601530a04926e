//! Hosts an ECharts option (JSON from `charts`) in a `<div>`: initialises ECharts once the
//! element is in the page, turns the option's callback markers (`charts::ChartFn`) into
//! Rust closures (so the page never evaluates source text, and its CSP needs no
//! 'unsafe-eval'), updates it when the option changes, reports clicks on marks as (series
//! index, data index), resizes with the window, and disposes of it on cleanup.

use std::sync::atomic::{AtomicU32, Ordering};

use js_sys::{Array, Object, Reflect};
use leptos::prelude::*;
use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::charts::{ChartFn, FnCall};

#[wasm_bindgen]
extern "C" {
    type EchartsInstance;
    #[wasm_bindgen(js_namespace = echarts, js_name = init)]
    fn echarts_init(element: &web_sys::Element, theme: JsValue, options: JsValue) -> EchartsInstance;
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

static NEXT_CHART_ID: AtomicU32 = AtomicU32::new(1);

/// The (series index, data index) of a clicked mark.
pub type MarkClick = (usize, usize);

fn index_of(params: &JsValue, key: &str) -> Option<usize> {
    Reflect::get(params, &JsValue::from_str(key)).ok()?.as_f64().filter(|x| *x >= 0.0).map(|x| x as usize)
}

fn text_of(value: &JsValue, key: &str) -> Option<String> {
    Reflect::get(value, &JsValue::from_str(key)).ok()?.as_string()
}

/// A callback ECharts calls with (first argument, params).
type Callback2 = Closure<dyn Fn(JsValue, JsValue) -> JsValue>;

/// The JS callback ECharts calls on a click (kept alive as long as the chart).
type ClickClosure = Closure<dyn FnMut(JsValue)>;

/// What ECharts passes a callback, read into a [`FnCall`]. Formatters get `params` first;
/// axis-label formatters and `symbolSize` get the value first (then the index or params).
fn read_call(first: &JsValue, second: &JsValue) -> FnCall {
    let params = if first.is_object() { first } else { second };
    let data = Reflect::get(params, &"data".into()).unwrap_or(JsValue::UNDEFINED);
    FnCall {
        series_index: index_of(params, "seriesIndex"),
        data_index: index_of(params, "dataIndex"),
        data_type: text_of(params, "dataType"),
        id: if data.is_object() { text_of(&data, "id") } else { None },
        value: first.as_string(),
    }
}

/// Replaces every callback marker in `value` (an option converted to JS) by a closure,
/// keeping the closures alive in `keep`.
fn bind_callbacks(value: &JsValue, keep: &mut Vec<Callback2>) -> JsValue {
    if let Some(text) = value.as_string() {
        return match ChartFn::from_marker(&text) {
            Some(f) => {
                let closure = Callback2::new(move |first: JsValue, second: JsValue| {
                    serde_wasm_bindgen::to_value(&f.call(&read_call(&first, &second))).unwrap_or(JsValue::NULL)
                });
                let function = closure.as_ref().clone();
                keep.push(closure);
                function
            }
            None => value.clone(),
        };
    }
    if Array::is_array(value) {
        let array = Array::from(value);
        for i in 0..array.length() {
            array.set(i, bind_callbacks(&array.get(i), keep));
        }
        return array.into();
    }
    if value.is_object() {
        let object = Object::from(value.clone());
        for entry in Object::entries(&object).iter() {
            let pair = Array::from(&entry);
            let _ = Reflect::set(&object, &pair.get(0), &bind_callbacks(&pair.get(1), keep));
        }
        return object.into();
    }
    value.clone()
}

/// The option as a plain JS object (maps as objects, as ECharts expects), callbacks bound.
fn to_js_option(option: &serde_json::Value, keep: &mut Vec<Callback2>) -> Result<JsValue, String> {
    let js = option.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).map_err(|e| e.to_string())?;
    Ok(bind_callbacks(&js, keep))
}

#[derive(Serialize)]
struct InitOptions {
    height: u32,
}

#[component]
pub fn EChart(
    /// The option to draw; redrawn when the signal changes.
    #[prop(into)]
    chart: Signal<serde_json::Value, LocalStorage>,
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
    let handle: StoredValue<Option<EchartsInstance>, LocalStorage> = StoredValue::new_local(None);
    let click_handler: StoredValue<Option<ClickClosure>, LocalStorage> = StoredValue::new_local(None);
    // The current option's callbacks; replaced with the option.
    let callbacks: StoredValue<Vec<Callback2>, LocalStorage> = StoredValue::new_local(Vec::new());
    let element_id = id.clone();
    Effect::new(move |_| {
        let option = chart.get();
        let mut keep = Vec::new();
        let js = match to_js_option(&option, &mut keep) {
            Ok(js) => js,
            Err(err) => return leptos::logging::warn!("chart {element_id} could not be converted: {err}"),
        };
        if handle.with_value(|h| h.is_some()) {
            // Replace the whole option so series from earlier data do not linger.
            handle.with_value(|h| h.as_ref().expect("checked").set_option(js, true));
            callbacks.set_value(keep);
            return;
        }
        let Some(element) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id(&element_id)) else {
            return leptos::logging::warn!("chart {element_id} has no element");
        };
        let init = serde_wasm_bindgen::to_value(&InitOptions { height }).unwrap_or(JsValue::UNDEFINED);
        let echarts = echarts_init(&element, JsValue::NULL, init);
        echarts.set_option(js, true);
        callbacks.set_value(keep);
        if let Some(callback) = on_click {
            let closure = Closure::<dyn FnMut(JsValue)>::new(move |params: JsValue| {
                if let (Some(s), Some(d)) = (index_of(&params, "seriesIndex"), index_of(&params, "dataIndex")) {
                    callback.run((s, d));
                }
            });
            echarts.on("click", closure.as_ref().unchecked_ref());
            click_handler.set_value(Some(closure));
        }
        handle.set_value(Some(echarts));
    });
    let on_resize = window_event_listener(leptos::ev::resize, move |_| {
        handle.with_value(|h| {
            if let Some(h) = h {
                h.resize_to_container();
            }
        });
    });
    on_cleanup(move || {
        on_resize.remove();
        handle.with_value(|h| {
            if let Some(h) = h {
                h.dispose();
            }
        });
    });
    view! {
        <div id=id class="chart" class:clickable=on_click.is_some() role="img" aria-label=label style=format!("height:{height}px")></div>
    }
}
