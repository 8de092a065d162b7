import { transportComplianceSuite } from '../src/testing/index.js';
import { memoryHarness } from './harnesses.js';

transportComplianceSuite('memory', memoryHarness);
