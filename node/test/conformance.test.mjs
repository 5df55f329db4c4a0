// Every shared conformance vector in tests/conformance/ (or $M2M_CONFORMANCE_DIR).
import { join } from 'node:path';
import { registerVectors } from './support/conformance.mjs';
import { REPO } from './support/devserver.mjs';

registerVectors(process.env.M2M_CONFORMANCE_DIR || join(REPO, 'tests', 'conformance'));
