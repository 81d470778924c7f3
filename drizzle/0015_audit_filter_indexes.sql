CREATE INDEX "audit_log_operator_idx" ON "audit_log" USING btree ("operator" varchar_pattern_ops,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "audit_log_line_user_idx" ON "audit_log" USING btree ("actor_line_user_id","id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "audit_log_target_idx" ON "audit_log" USING btree ("target_type","target_id","id" DESC NULLS LAST);