// Assertions that a codec failed with a MessageError of a given code (and command), or that
// a filter check failed with a FilterError of a given code.
import assert from "node:assert/strict";
import { FilterError, type FilterErrorCode } from "../../filters/errors.ts";
import { MessageError, type MessageErrorCode } from "../../wire/errors.ts";

/**
 * A predicate for `assert.throws` / `assert.rejects`: true for a MessageError with `code`,
 * and, when `command` is given, that command.
 */
export function isMessageError(code: MessageErrorCode, command?: string): (e: unknown) => boolean {
  return (e: unknown) =>
    e instanceof MessageError && e.code === code &&
    (command === undefined || e.command === command);
}

/**
 * Asserts that `fn` throws a MessageError with `code`, and, when `command` is given, that
 * command; a failure names what was thrown instead.
 */
export function assertMessageError(
  fn: () => unknown,
  code: MessageErrorCode,
  command?: string,
): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof MessageError, `expected MessageError, got ${e}`);
    assert.equal(e.code, code, e.message);
    if (command !== undefined) assert.equal(e.command, command);
    return true;
  });
}

/** Asserts that `fn` throws a FilterError with `code`; a failure names what was thrown instead. */
export function assertFilterError(fn: () => unknown, code: FilterErrorCode): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof FilterError, `expected FilterError, got ${e}`);
    assert.equal(e.code, code, e.message);
    return true;
  });
}
