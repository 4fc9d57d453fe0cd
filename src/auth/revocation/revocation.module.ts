/** RevocationService for everyone who ends sessions (auth, users) or checks them (guards, gateway). */
import { Global, Module } from '@nestjs/common';
import { RevocationService } from './revocation.service';

@Global()
@Module({
  providers: [RevocationService],
  exports: [RevocationService],
})
export class RevocationModule {}
