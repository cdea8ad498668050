import { Type, type Static } from 'typebox';

export const ProjectSchema = Type.Object({
  id: Type.String({ format: 'uuid', description: 'Unique project ID.' }),
  organizationId: Type.String({ format: 'uuid', description: 'The organization the project belongs to.' }),
  name: Type.String({ description: 'Unique in the organization, case-insensitively.' }),
  description: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});
export type Project = Static<typeof ProjectSchema>;

export const ProjectName = Type.String({
  minLength: 1,
  maxLength: 255,
  description: 'Trimmed; unique in the organization, case-insensitively.',
});
export const ProjectDescription = Type.String({ maxLength: 1000 });

export const CreateProjectBody = Type.Object(
  { name: ProjectName, description: Type.Optional(ProjectDescription) },
  { additionalProperties: false },
);
export type CreateProjectInput = Static<typeof CreateProjectBody>;

export const PatchProjectBody = Type.Object(
  { name: Type.Optional(ProjectName), description: Type.Optional(ProjectDescription) },
  { additionalProperties: false },
);
export type PatchProjectInput = Static<typeof PatchProjectBody>;

export const SetActiveProjectBody = Type.Object(
  { projectId: Type.String({ format: 'uuid', description: 'A project of a live organization the user is a member of.' }) },
  { additionalProperties: false },
);
export type SetActiveProjectInput = Static<typeof SetActiveProjectBody>;
