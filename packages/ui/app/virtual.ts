/** A fixed-height virtual list over @tanstack/virtual-core, as a Preact hook. */
import type { RefObject } from 'preact';
import { useEffect, useLayoutEffect, useReducer, useRef } from 'preact/hooks';
import type { VirtualItem } from '@tanstack/virtual-core';
import { Virtualizer, elementScroll, observeElementOffset, observeElementRect } from '@tanstack/virtual-core';

export interface VirtualList {
  readonly items: VirtualItem[];
  readonly totalSize: number;
  scrollToIndex(index: number): void;
}

export function useVirtualList(
  count: number,
  rowHeight: number,
  scrollRef: RefObject<HTMLElement | null>,
): VirtualList {
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  const virtualizer = useRef<Virtualizer<HTMLElement, HTMLElement> | null>(null);
  const options = {
    count,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => rowHeight,
    overscan: 12,
    scrollToFn: elementScroll,
    observeElementRect,
    observeElementOffset,
    onChange: () => {
      rerender(undefined);
    },
  };
  virtualizer.current ??= new Virtualizer<HTMLElement, HTMLElement>(options);
  const instance = virtualizer.current;
  instance.setOptions({ ...instance.options, ...options });
  useEffect(() => instance._didMount(), []);
  useLayoutEffect(() => {
    instance._willUpdate();
  });
  return {
    items: instance.getVirtualItems(),
    totalSize: instance.getTotalSize(),
    scrollToIndex: (index) => {
      instance.scrollToIndex(index, { align: 'center' });
    },
  };
}
