# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Errors of the aws-auth model, on the collection's one exception root."""

from __future__ import annotations

from ansible_collections.eks.access.plugins.module_utils.errors import InvalidInput, Refused


class AwsAuthError(InvalidInput, ValueError):
    """aws-auth content or a requested change is invalid."""


class LockoutError(AwsAuthError, Refused):
    """The plan would cut off worker nodes or the caller."""


class SectionError(AwsAuthError):
    """A section of the existing aws-auth cannot be edited; ``section``, ``line`` (1-based or None)."""

    def __init__(self, message, section, line):
        super().__init__(message, section=section, line=line)
        self.section = section
        self.line = line


def _where(line):
    return "line %d: " % line if line else ""


class AuthenticatorCannotRead(SectionError):
    """aws-iam-authenticator reports an error for this section (certain: it is inside the subset)."""

    def __init__(self, section, line, problem):
        super().__init__("the authenticator cannot read section %s (%s%s)" % (section, _where(line), problem),
                         section, line)
        self.problem = problem


class NotUnderstood(SectionError):
    """The section is outside what this collection reads exactly as the authenticator does."""

    def __init__(self, section, line, construct, repair):
        super().__init__(
            "this collection cannot safely edit section %s: %s%s is outside the YAML it reads exactly as the "
            "authenticator does; %s (or re-run with repair: true listing every entry %s should hold)"
            % (section, _where(line), construct, repair, section), section, line)
        self.construct = construct
        self.repair = repair
