/** Helpers for the stages inside one transformer block: its hooks, per-position rows and small layout aids. */
import { hook, type BlockHook, type HookName } from '@vectorview/trace';
import type { Ctx } from '../context.js';
import { placed, type Block } from '../svg.js';

export const positions = (ctx: Ctx) => ctx.trace.tokens.map((_, p) => p);
export const rows = (ctx: Ctx, name: HookName, ...lead: number[]) => positions(ctx).map((p) => ctx.row(name, p, ...lead));
/** A hook of the drawn layer (or of `layer`). */
export const B = <const H extends BlockHook>(ctx: Ctx, name: H, layer = ctx.opts.layer) => hook.block(layer, name);
/** The LayerNorm's output after γ and β; traces from Python may only carry the normalised vector. */
export const lnOut = (ctx: Ctx, ln: 'ln1' | 'ln2'): HookName => (ctx.tensor(B(ctx, `${ln}.hook_out`)) ? B(ctx, `${ln}.hook_out`) : B(ctx, `${ln}.hook_normalized`));

export function centreY(block: Block, height: number): Block {
  return placed(block, 0, (height - block.height) / 2, block.width, height);
}

export function norm(v: ArrayLike<number> | undefined): number {
  if (!v) return 0;
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  return Math.sqrt(s);
}
