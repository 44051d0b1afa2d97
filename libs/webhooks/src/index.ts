export * from './webhooks.errors';
export * from './webhook-signature';
export * from './github-trust';
export * from './webhook-intake.service';
export * from './dto/webhooks.dto';
export * from './webhooks.module';
