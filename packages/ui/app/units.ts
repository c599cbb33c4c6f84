/** Values in a panel's unit (Grafana's unit ids, as the dashboards model names them). */
import { duration } from './format.js';

const BYTES = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

function bytes(value: number): string {
  let scaled = value;
  let unit = 0;
  while (Math.abs(scaled) >= 1024 && unit < BYTES.length - 1) {
    scaled /= 1024;
    unit += 1;
  }
  return `${scaled.toFixed(scaled >= 100 || unit === 0 ? 0 : 1)} ${BYTES[unit] ?? 'B'}`;
}

function short(value: number): string {
  const magnitude = Math.abs(value);
  if (Number.isInteger(value) && magnitude < 1e3) return String(value);
  if (magnitude >= 1e6) return `${(value / 1e6).toFixed(1)}M`;
  if (magnitude >= 1e3) return `${(value / 1e3).toFixed(1)}k`;
  if (magnitude >= 10 || value === 0) return value.toFixed(0);
  return value.toPrecision(2);
}

export function formatValue(unit: string, value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  switch (unit) {
    case 'percentunit':
      return `${(value * 100).toFixed(value < 0.1 ? 2 : 1)}%`;
    case 's':
      return duration(value * 1000);
    case 'bytes':
      return bytes(value);
    case 'Bps':
      return `${bytes(value)}/s`;
    case 'reqps':
      return `${short(value)} req/s`;
    case 'ops':
      return `${short(value)}/s`;
    case 'currencyUSD':
      return `$${value.toFixed(value < 10 ? 2 : 0)}`;
    default:
      return short(value);
  }
}
