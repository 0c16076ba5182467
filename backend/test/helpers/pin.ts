// Standalone (no app imports) so that browser tests can use it too.
/** A valid personnummer (12 digits) for a birth date `YYYYMMDD` and a 3-digit birth number. */
export function pin(birthDate: string, serial = '123'): string {
  const nine = `${birthDate.slice(2)}${serial}`;
  let sum = 0;
  for (let i = 0; i < 9; i++) {
    let d = Number(nine[i]) * (i % 2 === 0 ? 2 : 1);
    if (d > 9) d -= 9;
    sum += d;
  }
  return `${birthDate}${serial}${(10 - (sum % 10)) % 10}`;
}
