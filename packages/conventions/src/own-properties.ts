/**
 * Writing keys that come from outside (OTLP attribute keys, JSON field names) into objects.
 * A plain assignment `object[key] = value` with key `__proto__` replaces the object's prototype,
 * and a path walked through `__proto__` or `constructor.prototype` reaches Object.prototype,
 * which every object in the process shares. These helpers only ever touch own properties.
 */

/** Path segments that lead out of an object into a prototype. */
const PROTOTYPE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

export const isPrototypeKey = (key: string): boolean => PROTOTYPE_KEYS.has(key);

/** Sets an own, enumerable property, whatever the key (`__proto__` included). */
export function setOwn(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** The own property under `key`, never one inherited from a prototype. */
export function getOwn(target: object, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(target, key)
    ? (target as Record<string, unknown>)[key]
    : undefined;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Sets `value` at a dotted path (`trace.id`), creating objects on the way. Returns false, and
 * changes nothing, when a segment is empty or names a prototype (`__proto__`, `constructor`,
 * `prototype`): such a path is refused rather than followed.
 */
export function setDottedPath(target: Record<string, unknown>, path: string, value: unknown): boolean {
  const parts = path.split('.');
  if (parts.some((part) => part === '' || isPrototypeKey(part))) return false;
  let node = target;
  for (const part of parts.slice(0, -1)) {
    let next = getOwn(node, part);
    if (!isPlainObject(next)) {
      next = {};
      setOwn(node, part, next);
    }
    node = next as Record<string, unknown>;
  }
  setOwn(node, parts[parts.length - 1] ?? path, value);
  return true;
}
