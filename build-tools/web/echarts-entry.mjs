// The ECharts the page ships: the core plus only the series types and components that the
// options built in src/charts/ use, drawn with the canvas renderer. Bundled by
// echarts-bundle.mjs into one script that defines the global `echarts` (the page calls
// `echarts.init`; the browser tests call `echarts.getInstanceByDom`), as the full
// dist/echarts.min.js did, at a fraction of its size.
//
// ECharts ignores an option it has no model for (a series type or component that was not
// registered here draws nothing, without an error in a production build), so anything a
// chart builder starts to use must be added below; tests/e2e/charts.test.mjs checks every
// chart the app draws against what this file registers.
import * as echarts from 'echarts/core';
import { BarChart, GraphChart, HeatmapChart, LineChart, ScatterChart } from 'echarts/charts';
import {
  DataZoomSliderComponent,
  GridComponent,
  LegendPlainComponent,
  MarkLineComponent,
  TitleComponent,
  TooltipComponent,
  VisualMapContinuousComponent,
} from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([
  // Series: bar.rs and summary.rs (bar), line.rs and band_timeline.rs (line), scatter.rs and
  // the markers of bar.rs and band_timeline.rs (scatter), heatmap.rs, subgraph.rs (graph).
  BarChart,
  LineChart,
  ScatterChart,
  HeatmapChart,
  GraphChart,
  // Components: the cartesian grid and its axes, the "No data in this range" title, legends
  // (charming's legend has no type, which ECharts reads as "plain"), item tooltips (these
  // bring the axis pointer), the continuous visualMap of heatmap.rs and scatter.rs (min, max,
  // calculable, no pieces), the slider dataZoom of line.rs and the reference markLine of bar.rs.
  GridComponent,
  TitleComponent,
  LegendPlainComponent,
  TooltipComponent,
  VisualMapContinuousComponent,
  DataZoomSliderComponent,
  MarkLineComponent,
  CanvasRenderer,
]);

export * from 'echarts/core';
