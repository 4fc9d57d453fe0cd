import { Injectable } from '@nestjs/common';

/** What the startup probe needs to know about the schema. */
@Injectable()
export class DatabaseState {
  migrationsPending = true;
}
