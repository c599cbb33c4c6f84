/**
 * Writing keys that come from outside (OTLP attribute keys, JSON field names) into objects.
 * A plain assignment `object[key] = value` with key `__proto__` replaces the object's prototype,
 * and a path walked through `__proto__` or `constructor.prototype` reaches Object.prototype,
 * which every object in the process shares. These helpers only ever touch own properties.
 */

/** Path segments that lead out of an object into a prototype. */
const PROTOTYPE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

export const isPrototypeKey = (key: string): boolean => PROTOTYPE_KEYS.has(key);

/**
 * Sets an own, enumerable property, whatever the key (`__proto__` included). Keys that
 * Object.prototype does not have are assigned (an own data property either way, and several
 * times faster to write and to read back than a defined one); the others are defined, so that
 * neither the `__proto__` setter nor a frozen prototype's property is ever in the way.
 */
export function setOwn(target: object, key: string, value: unknown): void {
  if (key in Object.prototype)
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else (target as Record<string, unknown>)[key] = value;
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
  for (const part of parts) if (part === '' || PROTOTYPE_KEYS.has(part)) return false;
  const last = parts.length - 1;
  let node = target;
  for (let index = 0; index < last; index++) {
    const part = parts[index] as string;
    let next = getOwn(node, part);
    if (!isPlainObject(next)) {
      next = {};
      setOwn(node, part, next);
    }
    node = next as Record<string, unknown>;
  }
  setOwn(node, parts[last] as string, value);
  return true;
}
