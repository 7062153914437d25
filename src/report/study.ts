/**
 * The study's own numbers, for the report's reference column, and nothing else: every value here
 * names where it comes from. A cell the study gives no value for stays "not given" in the report.
 *
 * The study: V. A. Prabha and P. Varalakshmi, "Live Migration of Virtual Machines with Software
 * Defined Storage", https://www.ejmcm.com/issue-content/live-migration-of-virtual-machines-with-software-defined-storage-12360
 * (online ISSN 2515-8260). Only its abstract could be read from here; its Table IV itself could not.
 * So the times below are the ones this project's issue 13 quotes from the study, and the flavor
 * sizes are the spec's defaults (src/config/schema.ts), which transcribe the study's testbed; issue
 * 13 agrees for the XL flavor (16 GB). Add a value only with its source.
 */
import type { FlavorName } from '../config/index.js';

export const STUDY_CITATION =
  'V. A. Prabha and P. Varalakshmi, "Live Migration of Virtual Machines with Software Defined Storage" (ejmcm.com, ISSN 2515-8260)';

/** Where a value comes from. */
export interface StudySource {
  readonly where: string;
  /** The words the value is taken from. */
  readonly quote: string;
}

const ISSUE_13_TABLE_IV = 'issue 13, quoting the study (Table IV)';

/** The study's link: 1 GbE. Source: issue 13, "an XL VM (16 GB RAM) migrating in 5 s over 1 GbE". */
export const STUDY_LINK_MBIT = 1000;

/** A migration time the study reports, as the range it gives (lo = hi for a single value). */
export interface StudyTime {
  readonly flavor: FlavorName;
  /** @default - the source does not say which backend */
  readonly backend?: 'filestore' | 'bluestore';
  readonly measure: 'total';
  readonly loS: number;
  readonly hiS: number;
  /** The load it was measured under; undefined: the source does not say. */
  readonly load?: string;
  readonly source: StudySource;
}

/** Table IV's values this project can cite. The study's downtimes and its other flavors are not among them. */
export const STUDY_TABLE_IV: readonly StudyTime[] = [
  {
    flavor: 'xlarge',
    backend: 'filestore',
    measure: 'total',
    loS: 30,
    hiS: 45,
    source: { where: ISSUE_13_TABLE_IV, quote: 'Filestore taking 30–45 s and Bluestore 22–35 s for the XL flavor (Table IV)' },
  },
  {
    flavor: 'xlarge',
    backend: 'bluestore',
    measure: 'total',
    loS: 22,
    hiS: 35,
    source: { where: ISSUE_13_TABLE_IV, quote: 'Filestore taking 30–45 s and Bluestore 22–35 s for the XL flavor (Table IV)' },
  },
];

/** Other figures the study states: checked against the link, not placed in a Table IV cell (no backend or load is given). */
export const STUDY_CLAIMS: readonly StudyTime[] = [
  {
    flavor: 'xlarge',
    measure: 'total',
    loS: 5,
    hiS: 5,
    source: { where: 'issue 13, quoting the study', quote: 'an XL VM (16 GB RAM) migrating in 5 s over 1 GbE' },
  },
];

/**
 * The study's flavor RAM in GiB (Nova flavors are in MiB: ram_gb × 1024). Source: the spec's flavor
 * defaults in src/config/schema.ts (`ram_gb`), which transcribe the study's testbed; issue 13 agrees
 * for XL ("an XL VM (16 GB RAM)"). Copied here rather than parsed from the schema, which would load
 * zod into every report; test/report/study-compare.test.ts fails if the two drift apart.
 */
export const STUDY_FLAVOR_RAM_GIB: Readonly<Record<FlavorName, number>> = { small: 4, medium: 8, large: 16, xlarge: 16 };

export const STUDY_FLAVOR_SOURCE: StudySource = {
  where: "src/config/schema.ts (the spec's defaults: the study's testbed)",
  quote: Object.entries(STUDY_FLAVOR_RAM_GIB)
    .map(([f, gib]) => `${f} ${gib} GB`)
    .join(', '),
};

export function isStudyFlavor(f: string): f is FlavorName {
  return Object.hasOwn(STUDY_FLAVOR_RAM_GIB, f);
}

/** The study's Table IV time for one of our cells, if it gives one (a value without a load stands beside every load). */
export function studyTimeFor(flavor: string, backend: string, load: string): StudyTime | undefined {
  return STUDY_TABLE_IV.find((s) => s.flavor === flavor && s.backend === backend && (s.load === undefined || s.load === load));
}
