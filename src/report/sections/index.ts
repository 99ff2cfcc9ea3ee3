// The registry of the report's registered tables (table-spec.ts ReportTableSpec): each is one file of this folder and
// one entry here. Each table says where it goes in the report (`after`); tables after the same part keep this order.
import type { ReportTableSpec } from '../table-spec.ts';
import { configuration } from './configuration.ts';
import { tuning } from './tuning.ts';

export const REPORT_TABLES: readonly ReportTableSpec[] = [configuration, tuning];
