// The drift board's types, generated from `gatehouse-core/src/monitor.rs`.
//
// Non-finite numbers cross the IPC boundary as `null` (serde_json writes NaN and ±inf so), so a
// score typed `number` may arrive as `null`; `drift.ts` checks with `Number.isFinite` throughout.
export type {
  ChartMark,
  DriftBoard,
  DriftPoint,
  DriftUpdate,
  FeatureDrift,
  FeatureKind,
  Histogram,
  WindowDrift,
} from './api/bindings';
