// Accessibility helpers: an aria-live readout and keyboard navigation over grids.

/** Says `text` to screen readers through the page's polite aria-live region. */
export function announce(text: string): void {
  const region = document.getElementById('llm-lens-live');
  if (!region) return;
  // Clearing first makes a repeated message be read again.
  region.textContent = '';
  window.setTimeout(() => {
    region.textContent = text;
  }, 20);
}

/** A cell position in a keyboard-navigable grid. */
export interface GridPosition {
  row: number;
  col: number;
}

/**
 * Moves a grid position with the arrow keys, Home/End (row start/end) and PageUp/PageDown (10 rows).
 * Returns the new position, or undefined when the key is not a navigation key.
 */
export function gridKeyMove(key: string, at: GridPosition, rows: number, cols: number, ctrl = false): GridPosition | undefined {
  const clamp = (v: number, n: number) => Math.max(0, Math.min(n - 1, v));
  switch (key) {
    case 'ArrowUp':
      return { row: clamp(at.row - 1, rows), col: at.col };
    case 'ArrowDown':
      return { row: clamp(at.row + 1, rows), col: at.col };
    case 'ArrowLeft':
      return { row: at.row, col: clamp(at.col - 1, cols) };
    case 'ArrowRight':
      return { row: at.row, col: clamp(at.col + 1, cols) };
    case 'Home':
      return ctrl ? { row: 0, col: 0 } : { row: at.row, col: 0 };
    case 'End':
      return ctrl ? { row: rows - 1, col: cols - 1 } : { row: at.row, col: cols - 1 };
    case 'PageUp':
      return { row: clamp(at.row - 10, rows), col: at.col };
    case 'PageDown':
      return { row: clamp(at.row + 10, rows), col: at.col };
    default:
      return undefined;
  }
}
