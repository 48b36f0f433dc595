import { describePackageDependencies } from '@lake/testing';

describePackageDependencies(new URL('../', import.meta.url));
