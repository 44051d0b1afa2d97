import { useSyncExternalStore } from 'react';

export interface Toast {
  id: number;
  message: string;
}

let toasts: Toast[] = [];
let next = 1;
const listeners = new Set<() => void>();
const emit = () => listeners.forEach((l) => l());

/** Shows a short message in the corner for a few seconds. */
export function toast(message: string, ms = 6000): void {
  const id = next++;
  toasts = [...toasts.filter((t) => t.message !== message), { id, message }];
  emit();
  setTimeout(() => dismiss(id), ms);
}

export function dismiss(id: number): void {
  toasts = toasts.filter((t) => t.id !== id);
  emit();
}

export function useToasts(): Toast[] {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => toasts,
    () => toasts,
  );
}
