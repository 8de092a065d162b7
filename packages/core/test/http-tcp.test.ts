import { httpComplianceSuite } from '../src/testing/index.js';
import { realHarness } from './harnesses.js';

httpComplianceSuite('real TCP (127.0.0.1)', () => realHarness());
