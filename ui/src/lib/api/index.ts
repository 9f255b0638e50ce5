// The panel's only door to the Rust shell: typed wrappers over the Tauri commands. Nothing outside
// `src/lib/api/` imports `@tauri-apps/api`, so the rest of the UI sees plain functions and the
// generated types, and every failure arrives as one `ErrorReport` the UI can branch on.
import { Channel, invoke } from '@tauri-apps/api/core';

import type { ErrorCode, ErrorReport, LoopUpdate, LoopView } from './bindings';

export type * from './bindings';

const CODES: readonly ErrorCode[] = [
  'policy',
  'workspace',
  'not_found',
  'invalid',
  'blocked',
  'permission_denied',
  'unreachable',
  'storage',
  'internal',
];

/** Turns whatever a command rejected with into an `ErrorReport`. */
export function toErrorReport(e: unknown): ErrorReport {
  if (typeof e === 'object' && e !== null && 'code' in e && 'message' in e) {
    const { code, message } = e as { code: unknown; message: unknown };
    if (typeof code === 'string' && typeof message === 'string') {
      // An unknown code still carries a useful message; keep it, filed under `internal`.
      const known = (CODES as readonly string[]).includes(code);
      return { code: known ? (code as ErrorCode) : 'internal', message };
    }
  }
  if (e instanceof Error) return { code: 'internal', message: e.message };
  if (typeof e === 'object' && e !== null) {
    // "[object Object]" tells a person nothing; the object's JSON at least shows what came back.
    try {
      return { code: 'internal', message: JSON.stringify(e) };
    } catch {
      // Cyclic or otherwise unserializable: fall through to String().
    }
  }
  return { code: 'internal', message: String(e) };
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (e) {
    throw toErrorReport(e);
  }
}

/** The loop as it stands now: status and layout. Rejects with an `ErrorReport`. */
export function loopView(): Promise<LoopView> {
  return call<LoopView>('loop_view');
}

/**
 * Subscribes to the loop: the shell pushes one update at once and another whenever the workspace
 * or its policy file changes. Resolves once the subscription is in place; rejects with an
 * `ErrorReport`.
 */
export function watchLoop(onUpdate: (update: LoopUpdate) => void): Promise<void> {
  const channel = new Channel<LoopUpdate>();
  channel.onmessage = onUpdate;
  return call<void>('watch_loop', { onUpdate: channel });
}
