// Vitest setup: cdktf's Jest matchers (toHaveResourceWithProperties, ...) work under vitest's globals.
import { Testing } from 'cdktf';

Testing.setupJest();
