import { httpComplianceSuite } from '../src/testing/index.js';
import { memoryHarness } from './harnesses.js';

httpComplianceSuite('memory network', memoryHarness);
