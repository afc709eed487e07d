// The system clock's timers, grouped by duration as Node.js does: every timer of one duration
// sits in one list, in due order (a timer is always appended, and all of a list's timers have
// the same delay), and each list keeps a single runtime timer armed for its head. A thousand
// peers then cost a few runtime timers rather than four thousand (a runtime timer costs about
// 1.3 KiB here; an entry costs a few dozen bytes), and cancelling is an O(1) unlink.
import type { Timer } from "./clock.ts";

interface Entry extends Timer {
  due: number;
  prev: Entry | undefined;
  next: Entry | undefined;
  list: TimerList | undefined;
  readonly callback: () => void;
  readonly repeat: boolean;
}

class TimerList {
  readonly delayMs: number;
  head: Entry | undefined;
  tail: Entry | undefined;
  #handle: ReturnType<typeof setTimeout> | undefined;
  #armedFor = Infinity;

  constructor(delayMs: number) {
    this.delayMs = delayMs;
  }

  append(entry: Entry): void {
    entry.list = this;
    entry.prev = this.tail;
    entry.next = undefined;
    if (this.tail === undefined) this.head = entry;
    else this.tail.next = entry;
    this.tail = entry;
    if (this.head === entry) this.#arm();
  }

  unlink(entry: Entry): void {
    if (entry.prev === undefined) this.head = entry.next;
    else entry.prev.next = entry.next;
    if (entry.next === undefined) this.tail = entry.prev;
    else entry.next.prev = entry.prev;
    entry.prev = entry.next = entry.list = undefined;
  }

  /** Removes a cancelled entry; an emptied list gives its runtime timer back. */
  cancel(entry: Entry): void {
    this.unlink(entry);
    if (this.head === undefined) {
      this.#disarm();
      if (LISTS.get(this.delayMs) === this) LISTS.delete(this.delayMs);
    }
  }

  #arm(): void {
    const head = this.head;
    if (head === undefined || head.due >= this.#armedFor) return;
    this.#disarm();
    this.#armedFor = head.due;
    this.#handle = setTimeout(() => this.#fire(), Math.max(0, head.due - performance.now()));
  }

  #disarm(): void {
    if (this.#handle !== undefined) clearTimeout(this.#handle);
    this.#handle = undefined;
    this.#armedFor = Infinity;
  }

  #fire(): void {
    this.#handle = undefined;
    this.#armedFor = Infinity;
    const now = performance.now();
    // Only the entries due now; those appended while this runs wait for the next round.
    let entry = this.head;
    while (entry !== undefined && entry.due <= now) {
      const next = entry.next;
      this.unlink(entry);
      if (entry.repeat) {
        entry.due = Math.max(entry.due + this.delayMs, now);
        this.append(entry);
      }
      try {
        entry.callback();
      } catch (error) {
        report(error);
      }
      entry = next !== undefined && next.list === this ? next : this.head;
      if (entry !== undefined && entry.due > now) break;
    }
    if (this.head !== undefined) this.#arm();
    else if (LISTS.get(this.delayMs) === this) LISTS.delete(this.delayMs);
  }
}

const LISTS = new Map<number, TimerList>();

/** Schedules `callback` after `delayMs` (and every `delayMs` after that when `repeat`). */
export function schedule(callback: () => void, delayMs: number, repeat: boolean): Timer {
  const delay = Math.max(repeat ? 1 : 0, Math.floor(delayMs));
  let list = LISTS.get(delay);
  if (list === undefined) {
    list = new TimerList(delay);
    LISTS.set(delay, list);
  }
  const entry: Entry = {
    due: performance.now() + delay,
    prev: undefined,
    next: undefined,
    list: undefined,
    callback,
    repeat,
    cancel() {
      entry.list?.cancel(entry);
    },
  };
  list.append(entry);
  return entry;
}

/**
 * Reports a callback's error as an uncaught one, without stopping the other timers: the
 * runtime's `reportError` where there is one (Deno, browsers), else a rethrow in a microtask.
 */
function report(error: unknown): void {
  const reportError = (globalThis as { reportError?: (error: unknown) => void }).reportError;
  if (reportError !== undefined) {
    reportError(error);
  } else {
    queueMicrotask(() => {
      throw error;
    });
  }
}
