import { SetMetadata } from '@nestjs/common';

export const REQUIRES_VERIFIED = 'bulwark:requiresVerified';
/** Routes marked (verified) in DESIGN.md: an unverified caller gets 403 EMAIL_NOT_VERIFIED. */
export const Verified = () => SetMetadata(REQUIRES_VERIFIED, true);
