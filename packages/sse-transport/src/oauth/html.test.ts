import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeHtml, renderPage } from './html.js';

describe('escapeHtml', () => {
  it.each([
    ['<script>alert(1)</script>', '&lt;script&gt;alert(1)&lt;&#47;script&gt;'],
    ['" onmouseover="x', '&quot; onmouseover&#61;&quot;x'],
    ["'><img src=x onerror=alert(1)>", '&#39;&gt;&lt;img src&#61;x onerror&#61;alert(1)&gt;'],
    ['a & b', 'a &amp; b'],
    ['`x`', '&#96;x&#96;'],
    ['tab\tand\u0000nul\u001b', 'tab\tandnul'],
  ])('%j → %j', (input, output) => {
    expect(escapeHtml(input)).toBe(output);
  });

  it('never lets a markup character through (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const out = escapeHtml(s);
        expect(out).not.toMatch(/[<>"'`]/);
        // every & starts an entity we produced
        expect(out.replace(/&(amp|lt|gt|quot|#39|#96|#47|#61);/g, '')).not.toContain('&');
      }),
      { numRuns: 2000 },
    );
  });

  it('renderPage escapes title and message', () => {
    const page = renderPage('<b>t</b>', '<img src=x onerror=alert(1)>');
    expect(page).not.toContain('<img');
    expect(page).not.toContain('<b>');
    expect(page).toContain('&lt;img src&#61;x onerror&#61;alert(1)&gt;');
  });
});
