/**
 * The integration project's test environment: Node's, plus one duty at the end of each test file,
 * after its last afterAll hook (so after its apps have stopped): drop the databases it made.
 */
import { TestEnvironment } from 'jest-environment-node';
import { dropMadeDatabases } from './made-databases';

export default class IntegrationEnvironment extends TestEnvironment {
  override async teardown(): Promise<void> {
    await dropMadeDatabases(this.global);
    await super.teardown();
  }
}
