import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261127000001Foundation } from './Migration20261127000001Foundation.js';

/** Every committed migration, in order. Add new ones at the end. */
export const migrationsList: MigrationObject[] = [
  { name: 'Migration20261127000001Foundation', class: Migration20261127000001Foundation },
];
