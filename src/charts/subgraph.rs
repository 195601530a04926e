//! The debug panel's picture of an evidence subgraph: nodes on rings by hop distance from
//! the selection (a fixed layout, so the same subgraph always looks the same), coloured by
//! kind, with the node's evidence id as label.

use charming::component::Legend;
use charming::element::{Tooltip, Trigger};
use charming::series::{Graph, GraphCategory, GraphData, GraphLayout, GraphLink, GraphNode, GraphNodeLabel};
use charming::Chart;

use crate::base::format::html_escape;
use crate::copilot::graph::{NodeKind, Subgraph};

pub fn subgraph_chart(sub: &Subgraph) -> serde_json::Value {
    let kinds: Vec<NodeKind> = NodeKind::ALL.into_iter().filter(|k| sub.nodes.iter().any(|n| n.kind == *k)).collect();
    let max_depth = sub.nodes.iter().map(|n| n.depth).max().unwrap_or(0);
    let mut nodes = Vec::with_capacity(sub.nodes.len());
    let mut tips = Vec::with_capacity(sub.nodes.len());
    for depth in 0..=max_depth {
        let ring: Vec<_> = sub.nodes.iter().filter(|n| n.depth == depth).collect();
        for (i, n) in ring.iter().enumerate() {
            let angle = std::f64::consts::TAU * i as f64 / ring.len() as f64 + depth as f64 * 0.4;
            let radius = 120.0 * depth as f64;
            nodes.push(GraphNode {
                id: n.ref_id.clone(),
                name: n.ref_id.clone(),
                x: (radius * angle.cos() * 100.0).round() / 100.0,
                y: (radius * angle.sin() * 100.0).round() / 100.0,
                value: depth as f64,
                category: kinds.iter().position(|k| *k == n.kind).unwrap_or(0) as u64,
                symbol_size: if depth == 0 { 26.0 } else { 14.0 },
                label: Some(GraphNodeLabel::new().show(true).position("right").font_size(10.0)),
            });
            tips.push(format!(
                "<b>[{}] {} {}</b>{}",
                html_escape(&n.ref_id),
                n.kind,
                html_escape(&n.id),
                if n.note.is_empty() { String::new() } else { format!("<br/>{}", html_escape(&n.note)) }
            ));
        }
    }
    // Tooltips are looked up by node id, since drawing order follows depth.
    let ids: Vec<&str> = nodes.iter().map(|n| n.id.as_str()).collect();
    let lookup = super::ChartFn::NodeTooltips { ids: ids.iter().map(|s| s.to_string()).collect(), texts: tips.clone() };
    let links = sub.edges.iter().map(|e| GraphLink { source: e.from.clone(), target: e.to.clone(), value: None }).collect();
    let categories = kinds.iter().map(|k| GraphCategory { name: k.name().to_string() }).collect();
    let chart = Chart::new()
        .animation(false)
        .legend(Legend::new().top("0").data(kinds.iter().map(|k| k.name().to_string()).collect::<Vec<_>>()))
        .tooltip(Tooltip::new().trigger(Trigger::Item).formatter(lookup.formatter()))
        .series(Graph::new().name("Evidence subgraph").layout(GraphLayout::None).roam(true).data(GraphData { nodes, links, categories }));
    super::option(&chart)
}
