import { describe, expect, it } from 'vitest';
import { planPdf, type PlanPrintout } from '../../src/modules/printouts/plan.layout.js';
import { winAnsi } from '../../src/modules/printouts/pdf.js';
import { pdfFlatText } from '../helpers/pdf-text.js';

/** The page layer: Swedish survives the standard fonts; what they cannot show degrades, never breaks. */

const plan = (name: string, goal: string): PlanPrintout => ({
  case: {
    caseNumber: 'SSPF-2026-0042',
    type: 'sspf',
    status: 'active',
    phase: null,
    ownerAgency: 'Socialtjänsten Norrköping',
    person: {
      name,
      identityNumber: '20110314-2384',
      coordinationNumber: false,
      birthDate: '2011-03-14',
      protectedIdentity: true,
      adult: false,
    },
  },
  reason: null,
  agencies: [{ name: 'Socialtjänsten Norrköping', owner: true }],
  items: [
    {
      lifeArea: 'substance_use',
      goal,
      action: 'Träffa fältassistenten – två gånger i veckan',
      responsible: null,
      dueDate: null,
      status: 'in_progress',
      followUps: [],
    },
  ],
  withheld: [{ category: 'social', count: 2, reason: 'no_consent' }],
  footer: 'Utskriven',
});

describe('printout pages', () => {
  it('keeps Swedish and Latin-1 letters and folds others to what the fonts can show', () => {
    expect(winAnsi('Åsa Öberg, Ärla, ÿ é ü – “citat” €')).toBe('Åsa Öberg, Ärla, ÿ é ü – “citat” €');
    expect(winAnsi('Jovanović Łukasz Şahin')).toBe('Jovanovic ?ukasz Sahin');
    expect(winAnsi('rad ett\tflik\u0007')).toBe('rad ett flik ');
    expect(winAnsi('rad ett\nrad två')).toBe('rad ett\nrad två');
  });

  it.each([true, false])('writes the plan with Swedish characters intact (compressed: %s)', async (compress) => {
    const pdf = await planPdf(plan('Åke Ärlig-Öst', 'Mindre alkohol och droger, fler kvällar på fritidsgården'), { compress });
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    // A4: 595.28 × 841.89 points.
    expect(pdf.toString('latin1')).toMatch(/\/MediaBox \[0 0 595\.28 841\.89\]/);
    const text = pdfFlatText(pdf);
    for (const s of [
      'Åtagandeplan',
      'Åke Ärlig-Öst',
      'Mindre alkohol och droger, fler kvällar på fritidsgården',
      'Alkohol och droger',
      'Pågår',
      'Träffa fältassistenten – två gånger i veckan',
      'en aktör som inte visas för dig',
      'Personen har skyddade personuppgifter',
      '2 uppgifter om socialtjänstens bedömningar och insatser: inget samtycke omfattar dem',
      'Sida 1 av 1',
    ]) {
      expect(text).toContain(s);
    }
  });

  it('writes a name outside WinAnsi readably instead of a broken code', async () => {
    expect(pdfFlatText(await planPdf(plan('Ana Jovanović', 'Mål')))).toContain('Ana Jovanovic');
  });
});
