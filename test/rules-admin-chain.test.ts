/**
 * A chain of correlations added through the API's rule administration (the `addRule`
 * mutation's port over the detector's rule book): all documents at once, or none, with
 * each rule's status in what the API lists.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ruleBookAdmin } from '../api/index.js';
import { RuleBook } from '../detector/index.js';

const CHAIN = readFileSync(new URL('./fixtures/correlation-chain.yml', import.meta.url), 'utf8');

describe('adding a correlation chain through the rule administration', () => {
  it('adds the four rules at once and lists each with its status', () => {
    const book = new RuleBook();
    const admin = ruleBookAdmin(book);
    const item = admin.addRule(CHAIN, 'analyst') as { id: string };
    expect(item.id).toBe('chain-top');
    const listed = admin.list('rule') as Array<{ id: string; spec: { status?: { canFire: boolean } } }>;
    expect(listed.map((r) => r.id).sort()).toEqual(['chain-failed', 'chain-mid', 'chain-ok', 'chain-top']);
    expect(listed.every((r) => r.spec.status?.canFire === true)).toBe(true);
  });

  it('adds nothing when one document is bad, and says which', () => {
    const book = new RuleBook();
    const admin = ruleBookAdmin(book);
    expect(() => admin.addRule(CHAIN.replace('rules: [login_failed]', 'rules: [no_such_rule]'), 'analyst')).toThrow(/refers to no_such_rule/);
    expect(book.size).toBe(0);
    expect(admin.list('rule')).toEqual([]);
  });

  it('checks a text without activating it, and the check says what the addition then lists', () => {
    const book = new RuleBook();
    const admin = ruleBookAdmin(book);
    const checked = admin.checkRule(CHAIN);
    // Nothing runs yet: the API ledgers `rule.add` with this item before it activates the rules.
    expect(book.size).toBe(0);
    expect(admin.list('rule')).toEqual([]);
    expect(() => admin.checkRule(CHAIN.replace('rules: [login_failed]', 'rules: [no_such_rule]'))).toThrow(/refers to no_such_rule/);
    const added = admin.addRule(CHAIN, 'analyst');
    expect(added).toEqual(checked);
  });
});
