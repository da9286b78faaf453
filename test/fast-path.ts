/**
 * The validators' fast paths (BSMs, auth lines) must answer exactly as the schema path does:
 * the same verdict and reason, the same event and id. Shared by the fuzz tests of each.
 */
import { expect } from 'vitest';
import { hasValidId, validateInput, type ResolvedValidationOptions } from '../events/index.js';
import { validateBySchema, type ValidationResult } from '../events/validate.js';

/** Validates `input` both ways and expects the same result; returns it (the fast path's). */
export function sameAsSchema(input: Record<string, unknown>, options: ResolvedValidationOptions): ValidationResult {
  const fast = validateInput(input, options);
  const reference = validateBySchema(input, options);
  expect(fast, JSON.stringify(input)).toEqual(reference);
  if (fast.ok && reference.ok) {
    expect(fast.event.id).toBe(reference.event.id);
    expect(hasValidId(fast.event)).toBe(true);
  }
  return fast;
}
