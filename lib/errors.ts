// One error factory, so every message reads alike:
//   `<function>: <argument> expects <what was expected>, got <what was received>`
// TypeError: the JavaScript type is wrong. RangeError: the type is right, the value is not.

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'symbol') return v.toString();
  if (ArrayBuffer.isView(v)) {
    const name = (v as object).constructor?.name ?? 'TypedArray';
    const len = (v as unknown as { length?: number }).length;
    return len === undefined ? name : `${name}(${len})`;
  }
  if (Array.isArray(v)) {
    if (v.length > 8) return `an array of length ${v.length}`;
    return `[${v.map((e) => (Array.isArray(e) ? describe(e) : typeof e === 'number' ? String(e) : describe(e))).join(', ')}]`;
  }
  const name = (v as object).constructor?.name;
  return name && name !== 'Object' ? `a ${name}` : 'an object';
}

export function typeError(fn: string, arg: string, expected: string, got: unknown): TypeError {
  return new TypeError(`${fn}: ${arg} expects ${expected}, got ${describe(got)}`);
}

export function rangeError(fn: string, arg: string, expected: string, got: unknown): RangeError {
  return new RangeError(`${fn}: ${arg} expects ${expected}, got ${describe(got)}`);
}

// When what was received is best told in words ("3 channels", "an output of 0x4").
export function rangeErrorText(fn: string, arg: string, expected: string, gotText: string): RangeError {
  return new RangeError(`${fn}: ${arg} expects ${expected}, got ${gotText}`);
}
