// Assertions that a codec failed with a MessageError of a given code (and command), or that
// a filter check failed with a FilterError of a given code.
import { assertEquals, assertRejects, assertThrows } from "@std/assert";
import { FilterError, type FilterErrorCode } from "../../filters/errors.ts";
import { MessageError, type MessageErrorCode } from "../../wire/errors.ts";

function checkCode(error: MessageError, code: MessageErrorCode, command?: string, msg?: string) {
  const context = msg === undefined ? error.message : `${msg}: ${error.message}`;
  assertEquals(error.code, code, context);
  if (command !== undefined) assertEquals(error.command, command, context);
}

/**
 * Asserts that `fn` throws a MessageError with `code`, and, when `command` is given, that
 * command; a failure names what was thrown instead.
 *
 * @param msg Said on failure (the case being tried, say).
 * @returns The error, for further checks (its message, say).
 */
export function assertMessageError(
  fn: () => unknown,
  code: MessageErrorCode,
  command?: string,
  msg?: string,
): MessageError {
  const error = assertThrows(fn, MessageError, undefined, msg);
  checkCode(error, code, command, msg);
  return error;
}

/**
 * Asserts that the promise `fn` returns rejects with a MessageError with `code`, and, when
 * `command` is given, that command.
 *
 * @param msg Said on failure.
 * @returns The error, for further checks.
 */
export async function assertRejectsMessageError(
  fn: () => PromiseLike<unknown>,
  code: MessageErrorCode,
  command?: string,
  msg?: string,
): Promise<MessageError> {
  const error = await assertRejects(fn, MessageError, undefined, msg);
  checkCode(error, code, command, msg);
  return error;
}

/** Asserts that `fn` throws a FilterError with `code`; a failure names what was thrown instead. */
export function assertFilterError(fn: () => unknown, code: FilterErrorCode): FilterError {
  const error = assertThrows(fn, FilterError);
  assertEquals(error.code, code, error.message);
  return error;
}
