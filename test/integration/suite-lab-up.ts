// The suite's lab up (every host the behaviour tests use), for test/run.sh before it starts the two
// lanes that share it.
import { ensureLab } from './lab-fixture.ts';

await ensureLab();
console.log('the suite lab is up');
