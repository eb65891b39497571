// One colour and dash per attention variant, shared by the chart, the legend, the cards and the diagram.
import { categoricalColour } from '../common/theme';

/** How a variant is drawn: an Okabe–Ito colour plus a dash pattern, so colour is never the only cue. */
export function variantStyle(kind: 'MHA' | 'GQA' | 'MQA' | 'MLA'): { colour: string; dash: number[]; border: string } {
  switch (kind) {
    case 'MHA':
      return { colour: categoricalColour(0), dash: [], border: 'solid' };
    case 'GQA':
      return { colour: categoricalColour(1), dash: [8, 4], border: 'dashed' };
    case 'MQA':
      return { colour: categoricalColour(2), dash: [2, 3], border: 'dotted' };
    case 'MLA':
      return { colour: categoricalColour(6), dash: [10, 3, 2, 3], border: 'double' };
  }
}
