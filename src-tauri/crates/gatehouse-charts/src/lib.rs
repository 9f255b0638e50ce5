//! Plotters renderings of the loop diagram and drift charts.
